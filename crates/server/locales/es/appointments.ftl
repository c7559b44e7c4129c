# Citas en los centros de atención: la página del portal, la del agente y el día de un centro.

nav-appointments = Citas

appointments-title = Citas
appointments-day-title = Día del centro de atención
appointments-book-heading = Reserve una visita a un centro de atención
appointments-move-heading = Elija una nueva hora para su cita
appointments-centre = Centro de atención
appointments-date = Fecha
appointments-show-times = Ver horas libres
appointments-show-day = Ver el día
appointments-centre-info = Horas locales en { $address }
appointments-no-slots = No hay horas libres este día (el centro está cerrado, completo, o es demasiado pronto). Pruebe otra fecha.
appointments-seats-left = { $count ->
    [one] queda 1 plaza
   *[other] quedan { $count } plazas
}
appointments-mine = Citas
appointments-none = Todavía no hay citas.
appointments-when = Cuándo (hora local)
appointments-status = Estado
appointments-cardholder = Titular
appointments-open-customer = Abrir
appointments-status-booked = Reservada
appointments-status-cancelled = Cancelada
appointments-reschedule = Cambiar hora
appointments-cancel = Cancelar
appointments-done-booked = Su cita está reservada. Le enviaremos un recordatorio el día anterior y dos horas antes.
appointments-done-moved = La cita se ha cambiado a la nueva hora; la hora anterior vuelve a estar libre.
appointments-done-cancelled = La cita está cancelada.
appointments-not-eligible = Las citas en nuestros centros de atención son para titulares Platinum y Centurion. Para cualquier otra gestión, llámenos o envíenos un mensaje seguro.
appointments-slot-full = Esa hora acaba de completarse. Elija otra hora, por favor.
appointments-past-cutoff = Esta cita empieza en menos de dos horas y ya no se puede cambiar en línea; llámenos, por favor.
appointments-too-soon = Esa hora ya ha pasado o es demasiado pronto; reserve con al menos dos horas de antelación.
appointments-too-far = Esa hora está demasiado lejos; reserve como máximo con 60 días de antelación.
appointments-no-such-slot = Esa hora no está disponible en este centro; elija una de la lista.
appointments-already-cancelled = Esa cita ya estaba cancelada.
appointments-already-booked = Ya hay una cita a esa hora; consulte la lista de abajo.
appointments-bad-date = No se puede mostrar esa fecha; elija otra.
appointments-audited = La consulta del día de un centro queda registrada en el registro de auditoría.
customer-appointments = Citas en un centro de atención
