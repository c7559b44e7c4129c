# Helpline web interface — English (complete; the fallback for every other language).

app-name = Helpline
issuer-name = Example Card Co.
nav-home = Home
nav-console = Console
nav-portal = My cards
nav-admin = Admin
nav-sign-in = Staff sign-in
nav-portal-sign-in = Cardholder sign-in
nav-sign-out = Sign out
language = Language
signed-in-as = Signed in as { $name }

home-title = Support for every cardholder, wherever they are
home-intro = Helpline runs the official support operation of { issuer-name }: phone, chat, secure messages and more, with real-time fraud monitoring and a verified directory of helpline numbers.
home-staff = For staff
home-staff-text = Agents, supervisors, fraud analysts and admins sign in here.
home-cardholders = For cardholders
home-cardholders-text = Lock or unlock a card, report it lost, follow a dispute and message us securely.

login-title = Staff sign-in
portal-login-title = Cardholder sign-in
login-email = Email
login-password = Password
login-submit = Sign in
login-failed = The email or password is not right.
login-rate-limited = Too many sign-in attempts; wait a minute and try again.
login-demo-hint = Demo accounts use the password { $password }.

console-title = Agent console
console-welcome = Welcome, { $name }
console-search = Find a cardholder
console-search-placeholder = Name, email or phone
console-search-submit = Search
console-no-results = No cardholder matches.
console-results = { $count ->
    [one] One cardholder
   *[other] { $count } cardholders
}
col-name = Name
col-email = Email
col-phone = Phone
col-tier = Tier
col-country = Country
col-language = Language
col-role = Role
col-created = Created
col-last-used = Last used
col-status = Status
col-when = When
col-who = Who
col-action = Action
col-subject = Subject

customer-title = Customer
customer-contact = Contact
customer-address = Address
customer-time-zone = Time zone
customer-manager = Relationship manager
customer-none = None
customer-audited = Opening this page was recorded in the audit log.

portal-title = My cards
portal-welcome = Hello, { $name }
portal-tier = Membership tier: { $tier }
portal-intro = From here you can manage your cards, follow disputes and message us securely.
portal-scam-warning = We will never ask for your full card number, PIN or security code by phone, email or message.

admin-title = Administration
admin-users = Staff accounts
admin-new-user = New staff account
admin-display-name = Display name
admin-create = Create
admin-tokens = API tokens
admin-new-token = New API token
admin-token-name = What it is for
admin-token-created = Copy this token now; it will not be shown again:
admin-revoke = Revoke
admin-active = Active
admin-revoked = Revoked
admin-audit = Recent audit log
admin-user-created = Account { $email } created.

error-title = Something is not right
error-forbidden = You may not open this page.
error-not-found = There is no such page.
error-back = Back to the start
form-expired = The form is out of date; reload the page and try again.
