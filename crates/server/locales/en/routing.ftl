# Routing: the agent's contacts console and the supervisors' dashboard.

nav-contacts = Contacts
nav-routing = Routing

routing-console-title = My contacts
routing-presence = Presence
routing-go-available = Available
routing-go-break = Break
routing-go-offline = Offline
routing-live = Live
routing-polling = Reconnecting… (checking every few seconds)
routing-needs-script = This console needs JavaScript to accept contacts.
routing-no-profile = You have no routing profile yet, so no contacts are offered to you. A supervisor sets your hub, languages, departments and tiers.
routing-wrap-up-done = Ready for the next contact
routing-offers = Offered to you
routing-no-offers = No contact is waiting for you.
routing-context = Reference
routing-waited = waited
routing-accept = Accept
routing-decline = Decline
routing-in-hand = In hand
routing-none-in-hand = No contact in hand.
routing-contact = Contact
routing-reason = Reason
routing-open-cardholder = open cardholder
routing-complete = Finish

routing-dashboard-title = Routing dashboard
routing-waiting = Waiting
routing-longest-wait = Longest wait
routing-service-level = Service level
routing-asa = Average speed of answer
routing-abandoned = Abandoned
routing-answered = Answered
routing-staffed = Staffed
routing-estimated-wait = Estimated wait
routing-since = Counted since { $since }.
routing-chart-title = Waiting contacts and agents
routing-chart-empty = The chart fills in as the minutes pass.
routing-minutes-ago = { $minutes } min ago
routing-now = now
routing-agents = Agents
routing-agents-available = Agents available
routing-agents-busy = Agents busy
routing-hubs = Hubs
routing-hub = Hub
routing-open = open
routing-closed = closed
routing-queues = Queues
routing-queue = Queue
routing-no-queues = No contact has been routed yet.

routing-presence-available = Available
routing-presence-on-contact = On a contact
routing-presence-wrap-up = Wrap-up
routing-presence-break = Break
routing-presence-offline = Offline

routing-hub-new-york = New York
routing-hub-london = London
routing-hub-sydney = Sydney
routing-hub-mumbai = Mumbai
routing-hub-tokyo = Tokyo

routing-department-lost-or-stolen = Lost, stolen and fraud
routing-department-billing-disputes = Billing and disputes
routing-department-card-services = Card services
routing-department-payments-transfers = Payments and transfers
routing-department-account-management = Account management
routing-department-travel-and-international = Travel and international
routing-department-rewards = Rewards
routing-department-business = Business
routing-department-general = General

routing-reason-general = General question
routing-reason-lost-stolen = Lost or stolen card
routing-reason-fraud = Fraud
routing-reason-billing = Billing
routing-reason-account = Account
routing-reason-activation = Activation
routing-reason-travel = Travel
routing-reason-rewards = Rewards
routing-reason-business = Business
routing-reason-roadside = Roadside assistance

routing-kind-call = Call
routing-kind-chat = Chat
routing-kind-message = Message
routing-kind-callback = Callback
