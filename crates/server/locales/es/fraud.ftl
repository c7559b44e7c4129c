# Monitorización del fraude: la cola de analistas.

nav-fraud = Fraude
fraud-queue-title = Alertas de fraude
fraud-queue-intro = Verificaciones que el titular no ha respondido a tiempo y alertas que esperan a un analista, las más antiguas primero.
fraud-queue-empty = No hay ninguna alerta pendiente.
fraud-decision = Decisión
fraud-score = puntuación
fraud-at = el
fraud-reasons = Motivos
fraud-history = Autorizaciones recientes de esta tarjeta (tiempo → puntuación)
fraud-approve = aprobada
fraud-challenge = verificada
fraud-decline = denegada
fraud-confirm = Confirmar fraude
fraud-genuine = Marcar como legítima
fraud-contact = Contactar al titular
fraud-decisions-title = Decisiones de fraude
