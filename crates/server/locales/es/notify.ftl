# Notificaciones a titulares (SMS, push, correo). Los textos caben en un SMS.

notify-fraud-challenge-subject = {$issuer}: ¿ha sido usted?
notify-fraud-challenge-body = {$issuer}: ¿acaba de pagar {$amount} en {$merchant} ({$city})? Responda SÍ si fue usted o NO si no. Nunca le pediremos el número ni el código de su tarjeta.
notify-fraud-challenge-body-plain = {$issuer}: necesitamos comprobar un pago reciente con su tarjeta. Responda SÍ si fue usted o NO si no. Nunca le pediremos el número ni el código de su tarjeta.
notify-fraud-confirmed-next-steps-subject = {$issuer}: su tarjeta está bloqueada
notify-fraud-confirmed-next-steps-body = {$issuer}: gracias. Hemos bloqueado su tarjeta, abierto una disputa por el pago que no hizo y le enviaremos una tarjeta nueva.
notify-card-reported-subject = {$issuer}: tarjeta terminada en {$last4} bloqueada
notify-card-reported-body = {$issuer}: su tarjeta terminada en {$last4} está bloqueada y ya no se puede usar. Su tarjeta de sustitución llegará {$window}.
notify-card-reported-body-plain = {$issuer}: su tarjeta terminada en {$last4} está bloqueada y ya no se puede usar. Le contactaremos sobre la tarjeta de sustitución.
notify-case-opened-subject = {$issuer}: hemos recibido su solicitud {$reference}
notify-case-opened-body = {$issuer}: hemos recibido su solicitud. Su referencia es {$reference}; indíquela si vuelve a contactarnos.
notify-case-awaiting-customer-subject = {$issuer}: necesitamos su respuesta sobre {$reference}
notify-case-awaiting-customer-body = {$issuer}: para continuar con su solicitud {$reference} necesitamos información suya. Responda en sus mensajes seguros o en el chat.
notify-case-resolved-subject = {$issuer}: solicitud {$reference} resuelta
notify-case-resolved-body = {$issuer}: su solicitud {$reference} está resuelta. Si algo sigue mal, responda y la reabriremos.
notify-case-reopened-subject = {$issuer}: solicitud {$reference} reabierta
notify-case-reopened-body = {$issuer}: su solicitud {$reference} vuelve a estar abierta; nos pondremos en contacto.
notify-case-complaint-raised-subject = {$issuer}: su reclamación {$reference}
notify-case-complaint-raised-body = {$issuer}: hemos registrado su reclamación {$reference} y le enviaremos el acuse formal en cinco días hábiles.
notify-case-complaint-acknowledged-subject = {$issuer}: acuse de la reclamación {$reference}
notify-case-complaint-acknowledged-body = {$issuer}: acusamos recibo de su reclamación {$reference}. La estamos investigando y le daremos la respuesta definitiva en ocho semanas.
notify-case-complaint-final-response-subject = {$issuer}: respuesta definitiva a la reclamación {$reference}
notify-case-complaint-final-response-body = {$issuer}: nuestra respuesta definitiva a su reclamación {$reference} está en sus mensajes seguros.
notify-appointment-booked-subject = {$issuer}: cita reservada
notify-appointment-booked-body = {$issuer}: su cita en {$centre_name} está reservada para el {$local_start}.
notify-appointment-rescheduled-subject = {$issuer}: cita cambiada
notify-appointment-rescheduled-body = {$issuer}: su cita en {$centre_name} es ahora el {$local_start}.
notify-appointment-cancelled-subject = {$issuer}: cita cancelada
notify-appointment-cancelled-body = {$issuer}: su cita en {$centre_name} del {$local_start} está cancelada.
notify-appointment-reminder-subject = {$issuer}: recordatorio de cita
notify-appointment-reminder-body = {$issuer}: le recordamos su cita en {$centre_name} el {$local_start}.

# Lista de notificaciones enviadas en la vista del cliente.
notify-sent-title = Notificaciones enviadas
notify-col-at = Cuándo
notify-col-channel = Canal
notify-col-template = Mensaje
notify-col-status = Estado
notify-contact-changed-address-subject = {$issuer}: cambiamos su dirección
notify-contact-changed-address-body = {$issuer}: se acaba de cambiar la dirección de facturación de su cuenta. Si no fue usted, llámenos de inmediato.
notify-contact-changed-phone-subject = {$issuer}: cambiamos su teléfono
notify-contact-changed-phone-body = {$issuer}: se acaba de cambiar el número de teléfono de su cuenta. Si no fue usted, llámenos de inmediato.
notify-contact-changed-email-subject = {$issuer}: cambiamos su correo electrónico
notify-contact-changed-email-body = {$issuer}: se acaba de cambiar el correo electrónico de su cuenta. Si no fue usted, llámenos de inmediato.
