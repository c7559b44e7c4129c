# Appointments at service centres: the portal page, the agent's booking page and a centre's day.

nav-appointments = Appointments

appointments-title = Appointments
appointments-day-title = Service centre day
appointments-book-heading = Book a visit to a service centre
appointments-move-heading = Pick a new time for your appointment
appointments-centre = Service centre
appointments-date = Date
appointments-show-times = Show free times
appointments-show-day = Show the day
appointments-centre-info = Local times at { $address }
appointments-no-slots = No free times on this day (the centre is closed, fully booked, or it is too soon). Try another date.
appointments-seats-left = { $count ->
    [one] 1 place left
   *[other] { $count } places left
}
appointments-mine = Appointments
appointments-none = No appointments yet.
appointments-when = When (local time)
appointments-status = Status
appointments-cardholder = Cardholder
appointments-open-customer = Open
appointments-status-booked = Booked
appointments-status-cancelled = Cancelled
appointments-reschedule = Reschedule
appointments-cancel = Cancel
appointments-done-booked = Your appointment is booked. We will send a reminder the day before and two hours before.
appointments-done-moved = The appointment was moved to the new time; the old time is free again.
appointments-done-cancelled = The appointment is cancelled.
appointments-not-eligible = Appointments at our service centres are for Platinum and Centurion cardholders. For anything else, call us or send us a secure message.
appointments-slot-full = That time has just been fully booked. Please pick another time.
appointments-past-cutoff = This appointment starts in less than two hours and can no longer be changed online; please call us.
appointments-too-soon = That time has passed or starts too soon; book at least two hours ahead.
appointments-too-far = That time is too far ahead; book at most 60 days ahead.
appointments-no-such-slot = That time is not available at this centre; pick one from the list.
appointments-already-cancelled = That appointment was already cancelled.
appointments-already-booked = There is already an appointment at that time; see the list below.
appointments-bad-date = That date cannot be shown; pick another date.
appointments-audited = Viewing a centre's day is recorded in the audit log.
customer-appointments = Appointments at a service centre
