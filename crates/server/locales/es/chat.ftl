# Chat en vivo: el widget del titular y el panel de chat del agente.

chat-title = Chatee con nosotros
chat-agent-title = Chat con un titular
chat-your-name = Su nombre
chat-first-message = ¿En qué podemos ayudarle?
chat-start = Iniciar chat
chat-message = Escriba un mensaje
chat-send = Enviar
chat-attach = Adjuntar un documento
chat-typing = Escribiendo…
chat-reconnecting = Se perdió la conexión; reconectando…
chat-connected = Conectado
chat-waiting = Un agente le atenderá en breve.
chat-offline = Ningún agente puede atenderle ahora: hemos abierto un caso y le responderemos lo antes posible.
chat-read = Leído
chat-delivered = Entregado
chat-you = Usted
chat-agent = Agente
chat-customer = Titular
chat-system = Helpline
chat-back-to-console = Volver a mis contactos
chat-needs-script = El chat necesita JavaScript.
chat-open = Abrir chat
