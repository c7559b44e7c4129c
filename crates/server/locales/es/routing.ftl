# Enrutamiento: la consola de contactos del agente y el panel de los supervisores.

nav-contacts = Contactos
nav-routing = Enrutamiento

routing-console-title = Mis contactos
routing-presence = Estado
routing-go-available = Disponible
routing-go-break = Pausa
routing-go-offline = Desconectado
routing-live = En directo
routing-polling = Reconectando… (comprobando cada pocos segundos)
routing-needs-script = Esta consola necesita JavaScript para aceptar contactos.
routing-no-profile = Todavía no tiene perfil de enrutamiento, así que no se le ofrecen contactos. Un supervisor define su centro, idiomas, departamentos y niveles de tarjeta.
routing-wrap-up-done = Listo para el siguiente contacto
routing-offers = Ofrecidos a usted
routing-no-offers = Ningún contacto le espera.
routing-context = Referencia
routing-waited = esperó
routing-accept = Aceptar
routing-decline = Rechazar
routing-in-hand = En curso
routing-none-in-hand = Ningún contacto en curso.
routing-contact = Contacto
routing-reason = Motivo
routing-open-cardholder = abrir titular
routing-complete = Terminar

routing-dashboard-title = Panel de enrutamiento
routing-waiting = En espera
routing-longest-wait = Espera más larga
routing-service-level = Nivel de servicio
routing-asa = Velocidad media de respuesta
routing-abandoned = Abandonados
routing-answered = Atendidos
routing-staffed = Con personal
routing-estimated-wait = Espera estimada
routing-since = Contado desde { $since }.
routing-chart-title = Contactos en espera y agentes
routing-chart-empty = El gráfico se completa a medida que pasan los minutos.
routing-minutes-ago = hace { $minutes } min
routing-now = ahora
routing-agents = Agentes
routing-agents-available = Agentes disponibles
routing-agents-busy = Agentes ocupados
routing-hubs = Centros
routing-hub = Centro
routing-open = abierto
routing-closed = cerrado
routing-queues = Colas
routing-queue = Cola
routing-no-queues = Todavía no se ha enrutado ningún contacto.

routing-presence-available = Disponible
routing-presence-on-contact = En un contacto
routing-presence-wrap-up = Cierre
routing-presence-break = Pausa
routing-presence-offline = Desconectado

routing-hub-new-york = Nueva York
routing-hub-london = Londres
routing-hub-sydney = Sídney
routing-hub-mumbai = Bombay
routing-hub-tokyo = Tokio

routing-department-lost-or-stolen = Pérdida, robo y fraude
routing-department-billing-disputes = Facturación y reclamaciones
routing-department-card-services = Servicios de tarjeta
routing-department-payments-transfers = Pagos y transferencias
routing-department-account-management = Gestión de cuenta
routing-department-travel-and-international = Viajes e internacional
routing-department-rewards = Recompensas
routing-department-business = Empresas
routing-department-general = General

routing-reason-general = Consulta general
routing-reason-lost-stolen = Tarjeta perdida o robada
routing-reason-fraud = Fraude
routing-reason-billing = Facturación
routing-reason-account = Cuenta
routing-reason-activation = Activación
routing-reason-travel = Viajes
routing-reason-rewards = Recompensas
routing-reason-business = Empresas
routing-reason-roadside = Asistencia en carretera

routing-kind-call = Llamada
routing-kind-chat = Chat
routing-kind-message = Mensaje
routing-kind-callback = Devolución de llamada
