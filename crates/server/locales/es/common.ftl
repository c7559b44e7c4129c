# Interfaz web de Helpline — español.

app-name = Helpline
issuer-name = Example Card Co.
nav-home = Inicio
nav-console = Consola
nav-portal = Mis tarjetas
nav-admin = Administración
nav-sign-in = Acceso del personal
nav-portal-sign-in = Acceso de titulares
nav-sign-out = Cerrar sesión
language = Idioma
signed-in-as = Sesión iniciada como { $name }

home-title = Atención para cada titular, esté donde esté
home-intro = Helpline gestiona la atención oficial de { issuer-name }: teléfono, chat, mensajes seguros y más, con vigilancia del fraude en tiempo real y un directorio verificado de números de atención.
home-staff = Para el personal
home-staff-text = Agentes, supervisores, analistas de fraude y administradores acceden aquí.
home-cardholders = Para titulares
home-cardholders-text = Bloquee o desbloquee una tarjeta, denuncie su pérdida, siga una disputa y escríbanos de forma segura.

login-title = Acceso del personal
portal-login-title = Acceso de titulares
login-email = Correo electrónico
login-password = Contraseña
login-submit = Entrar
login-failed = El correo o la contraseña no son correctos.
login-rate-limited = Demasiados intentos; espere un minuto y vuelva a intentarlo.
login-demo-hint = Las cuentas de demostración usan la contraseña { $password }.

console-title = Consola del agente
console-welcome = Bienvenido/a, { $name }
console-search = Buscar un titular
console-search-placeholder = Nombre, correo o teléfono
console-search-submit = Buscar
console-no-results = Ningún titular coincide.
console-results = { $count ->
    [one] Un titular
   *[other] { $count } titulares
}
col-name = Nombre
col-email = Correo
col-phone = Teléfono
col-tier = Nivel
col-country = País
col-language = Idioma
col-role = Rol
col-created = Creado
col-last-used = Último uso
col-status = Estado
col-when = Cuándo
col-who = Quién
col-action = Acción
col-subject = Objeto

customer-title = Cliente
customer-contact = Contacto
customer-address = Dirección
customer-time-zone = Zona horaria
customer-manager = Gestor personal
customer-none = Ninguno
customer-audited = La apertura de esta página quedó registrada en el registro de auditoría.

portal-title = Mis tarjetas
portal-welcome = Hola, { $name }
portal-tier = Nivel de cliente: { $tier }
portal-intro = Desde aquí puede gestionar sus tarjetas, seguir sus disputas y escribirnos de forma segura.
portal-scam-warning = Nunca le pediremos el número completo de su tarjeta, su PIN ni su código de seguridad por teléfono, correo o mensaje.

admin-title = Administración
admin-users = Cuentas del personal
admin-new-user = Nueva cuenta del personal
admin-display-name = Nombre visible
admin-create = Crear
admin-tokens = Tokens de API
admin-new-token = Nuevo token de API
admin-token-name = Para qué sirve
admin-token-created = Copie este token ahora; no se volverá a mostrar:
admin-revoke = Revocar
admin-active = Activo
admin-revoked = Revocado
admin-audit = Registro de auditoría reciente
admin-user-created = Cuenta { $email } creada.

error-title = Algo no está bien
error-forbidden = No puede abrir esta página.
error-not-found = Esta página no existe.
error-back = Volver al inicio
form-expired = El formulario ha caducado; recargue la página y vuelva a intentarlo.
