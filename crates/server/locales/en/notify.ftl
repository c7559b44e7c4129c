# Notifications to cardholders (SMS, push, email). Bodies stay short enough for one SMS.
# Arguments: $issuer always; the others as each template's event gives them. A "-body-plain"
# variant is used when the event lacks an argument that "-body" names.

notify-fraud-challenge-subject = {$issuer}: was this you?
notify-fraud-challenge-body = {$issuer}: did you just pay {$amount} at {$merchant} ({$city})? Reply YES if it was you or NO if not. We never ask for your card number or code.
notify-fraud-challenge-body-plain = {$issuer}: we need to check a recent payment on your card. Reply YES if it was you or NO if not. We never ask for your card number or code.
notify-fraud-confirmed-next-steps-subject = {$issuer}: your card is locked
notify-fraud-confirmed-next-steps-body = {$issuer}: thank you. We locked your card, opened a dispute for the payment you did not make, and will send you a replacement card.
notify-card-reported-subject = {$issuer}: card ending {$last4} blocked
notify-card-reported-body = {$issuer}: your card ending {$last4} is blocked and can no longer be used. Your replacement card arrives {$window}.
notify-card-reported-body-plain = {$issuer}: your card ending {$last4} is blocked and can no longer be used. We will be in touch about a replacement card.
notify-case-opened-subject = {$issuer}: we have your request {$reference}
notify-case-opened-body = {$issuer}: we received your request. Its reference is {$reference}; quote it if you contact us again.
notify-case-awaiting-customer-subject = {$issuer}: we need your reply on {$reference}
notify-case-awaiting-customer-body = {$issuer}: to continue with your request {$reference} we need some information from you. Please reply in your secure messages or chat.
notify-case-resolved-subject = {$issuer}: request {$reference} resolved
notify-case-resolved-body = {$issuer}: your request {$reference} is resolved. If anything is still wrong, reply and we will reopen it.
notify-case-reopened-subject = {$issuer}: request {$reference} reopened
notify-case-reopened-body = {$issuer}: your request {$reference} is open again; we will be in touch.
notify-case-complaint-raised-subject = {$issuer}: your complaint {$reference}
notify-case-complaint-raised-body = {$issuer}: we have recorded your complaint {$reference} and will acknowledge it formally within five business days.
notify-case-complaint-acknowledged-subject = {$issuer}: complaint {$reference} acknowledged
notify-case-complaint-acknowledged-body = {$issuer}: we acknowledge your complaint {$reference}. We are investigating and will send our final response within eight weeks.
notify-case-complaint-final-response-subject = {$issuer}: final response to complaint {$reference}
notify-case-complaint-final-response-body = {$issuer}: our final response to your complaint {$reference} is ready in your secure messages.
notify-appointment-booked-subject = {$issuer}: appointment booked
notify-appointment-booked-body = {$issuer}: your appointment at {$centre_name} is booked for {$local_start}.
notify-appointment-rescheduled-subject = {$issuer}: appointment moved
notify-appointment-rescheduled-body = {$issuer}: your appointment at {$centre_name} is now at {$local_start}.
notify-appointment-cancelled-subject = {$issuer}: appointment cancelled
notify-appointment-cancelled-body = {$issuer}: your appointment at {$centre_name} on {$local_start} is cancelled.
notify-appointment-reminder-subject = {$issuer}: appointment reminder
notify-appointment-reminder-body = {$issuer}: a reminder of your appointment at {$centre_name} on {$local_start}.

# The customer view's list of sent notifications.
notify-sent-title = Notifications sent
notify-col-at = When
notify-col-channel = Channel
notify-col-template = Message
notify-col-status = Status
notify-contact-changed-address-subject = {$issuer}: your address was changed
notify-contact-changed-address-body = {$issuer}: the billing address on your account was just changed. If you did not do this, call us at once.
notify-contact-changed-phone-subject = {$issuer}: your phone number was changed
notify-contact-changed-phone-body = {$issuer}: the phone number on your account was just changed. If you did not do this, call us at once.
notify-contact-changed-email-subject = {$issuer}: your email address was changed
notify-contact-changed-email-body = {$issuer}: the email address on your account was just changed. If you did not do this, call us at once.
