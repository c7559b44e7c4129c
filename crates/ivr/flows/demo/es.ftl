## Example Card Co. — mensajes en español del IVR de demostración (flow.toml).
## Variables: $last4 y $reference deletreados carácter a carácter; importes y fechas ya en
## palabras (mensajes `money` y `date`). Los mensajes kw-… son palabras y frases que el cliente
## puede decir, separadas por comas.

## Reintentos y personas

no-input = Disculpe, no escuché nada.
invalid = Disculpe, esa no es una de las opciones.
not-understood = Disculpe, no le entendí bien.
kw-operator = representante, agente, operador, persona, asesor, humano, una persona

## Bienvenida e idioma

welcome = Gracias por llamar a Example Card Co.
language-offer = Para español, oprima { $digit }.
kw-language = español, spanish, en español

## Motivos

reason-menu = Por favor, dígame en pocas palabras el motivo de su llamada, o elija una de estas opciones.
    Si su tarjeta se perdió o se la robaron, oprima 1.
    Para reportar un fraude o un cargo que no reconoce, oprima 2.
    Para preguntas sobre su factura y disputas, oprima 3.
    Para activar una tarjeta, oprima 4.
    Para su cuenta, saldo y pagos, oprima 5.
    Para recompensas, oprima 6.
    Para servicios de viaje y asistencia en carretera, oprima 7.
    Para tarjetas de empresa, oprima 8.
    Para cualquier otra consulta, oprima 9.
    Para hablar con un representante en cualquier momento, oprima 0.
kw-lost-stolen = perdida, perdí, robada, me robaron, perdí mi tarjeta, me robaron la tarjeta, extravié, extraviada, reposición
kw-fraud = fraude, fraudulento, sospechoso, no autorizado, estafa, robo de identidad, no reconozco un cargo, no hice esta compra
kw-billing = factura, facturación, estado de cuenta, cargo, cargos, disputa, reclamo, cobro, reembolso
kw-activate = activar, activación, activar mi tarjeta, tarjeta nueva, nueva tarjeta, pin
kw-account = cuenta, mi cuenta, saldo, dirección, datos personales, teléfono, correo, método de pago, beneficios
kw-rewards = recompensas, puntos, saldo de puntos, millas, canjear
kw-travel = viaje, viajar, vuelo, reserva, servicios de viaje, beneficios de viaje
kw-roadside = carretera, asistencia en carretera, grúa, llanta ponchada, se descompuso mi auto, mi carro no arranca
kw-business = empresa, negocio, tarjeta de empresa, tarjeta corporativa, empleado, gastos
kw-general = otra cosa, otra consulta, consulta general, pregunta

## Identidad

verify-card-number = Por favor, marque el número de su tarjeta, seguido de la tecla numeral.
verify-security-code = Ahora marque el código de seguridad impreso en su tarjeta, seguido de la tecla numeral.
verify-date-of-birth = Por favor, marque su fecha de nacimiento con ocho dígitos: dos para el día, dos para el mes y cuatro para el año.
verify-postcode = Por favor, marque o diga el código postal de su dirección de facturación, seguido de la tecla numeral.
verify-phone-on-file = Por favor, marque el número de teléfono que tenemos registrado, seguido de la tecla numeral.
verify-tax-id-last4 = Por favor, marque los últimos cuatro dígitos del número de identificación fiscal de su empresa.
verify-bad-format = Disculpe, eso no parece correcto.
verify-mismatch = Disculpe, eso no coincide con nuestros registros. Intentemos de nuevo.
verify-done = Gracias, hemos verificado su identidad.
verify-failed = Disculpe, no pude verificar su identidad.
verify-locked = Por su seguridad, la verificación telefónica de esta cuenta está bloqueada.
not-verified = Para hacer eso, primero necesito verificar su identidad.
service-failed = Disculpe, no pude completar eso en este momento.

## Tarjeta perdida o robada

lost-loss = ¿Su tarjeta se perdió o se la robaron? Si se perdió, oprima 1. Si se la robaron, oprima 2.
kw-lost = perdida, se perdió, la perdí, extraviada
kw-stolen = robada, me la robaron, robo, me robaron
lost-shipping = ¿Cómo le enviamos la tarjeta de reemplazo?
    Para envío estándar en tres a cinco días hábiles, oprima 1.
    Para envío urgente en uno a dos días hábiles, oprima 2.
    Si está en el extranjero, para entrega global en 24 a 72 horas a un hotel, una embajada u otra dirección, oprima 3.
kw-standard = estándar, normal, regular
kw-expedited = urgente, rápido, exprés, express
kw-global = global, extranjero, en el extranjero, internacional, fuera del país
lost-destination = ¿Dónde se la entregamos? Para un hotel, oprima 1. Para una embajada o un consulado, oprima 2. Para otra dirección, oprima 3.
kw-hotel = hotel
kw-embassy = embajada, consulado
kw-other = otra, otra dirección, casa, oficina
lost-address = Después del tono, diga la dirección completa de entrega, incluidas la ciudad y el país.
lost-reported = Su tarjeta terminada en { $last4 } ya está bloqueada y registrada como { $loss ->
        [stolen] robada
       *[lost] perdida
    }. Su número de referencia es { $reference }. Le repito: { $reference }. Su nueva tarjeta { $shipping ->
        [global] se entregará en la dirección que nos dio
       *[other] debería llegar
    } entre el { $earliest } y el { $latest }.

## Activación

activate-pin = Por favor, elija un PIN de cuatro dígitos para su tarjeta y márquelo; luego márquelo otra vez para confirmarlo.
activate-pin-mismatch = Los dos PIN no coinciden.
activate-done = Su tarjeta terminada en { $last4 } está activa y su nuevo PIN quedó registrado.

## Saldo y recompensas

balance-info = { $credit ->
        [yes] Su tarjeta terminada en { $last4 } tiene un saldo a favor de { $balance }.
       *[no] El saldo de su tarjeta terminada en { $last4 } es de { $balance }.
    } { $paid ->
        [yes] Su último pago, de { $payment }, se recibió el { $payment_date }.
       *[no] Todavía no hemos recibido ningún pago.
    }
rewards-info = Tiene { $points ->
        [one] un punto de recompensas
       *[other] { $points } puntos de recompensas
    }.
money = { $currency ->
        [USD] { $whole ->
            [one] un dólar
           *[other] { $whole } dólares
        }
       *[other] { $whole } { $currency }
    }{ $cents ->
        [0] {""}
       *[other] {" "}con { $cents } { $cents ->
            [one] centavo
           *[other] centavos
        }
    }
date = { $weekday ->
        [1] lunes
        [2] martes
        [3] miércoles
        [4] jueves
        [5] viernes
        [6] sábado
       *[7] domingo
    } { $day } de { $month ->
        [1] enero
        [2] febrero
        [3] marzo
        [4] abril
        [5] mayo
        [6] junio
        [7] julio
        [8] agosto
        [9] septiembre
        [10] octubre
        [11] noviembre
       *[12] diciembre
    }

## Menús tras una elección

billing-menu = Para su saldo y último pago, oprima 1. Para disputar un cargo o consultar sobre uno, oprima 2.
kw-balance = saldo, último pago, pago, cuánto debo
kw-dispute = disputa, disputar, cargo, cargo equivocado, un cargo que no reconozco
account-menu = Para su saldo y último pago, oprima 1. Para actualizar sus datos personales o métodos de pago, o para los beneficios de su tarjeta, oprima 2.
kw-details = datos, datos personales, dirección, teléfono, método de pago, beneficios
rewards-menu = Para hablar con un especialista en recompensas, oprima 1. Para el menú principal, oprima 2. Si eso es todo, oprima 3.
rewards-closed = Nuestros especialistas en recompensas atienden todos los días de 8 de la mañana a medianoche, hora del Este. Para que un especialista le devuelva la llamada, oprima 1. Para hablar ahora con nuestro equipo general, oprima 2. Para terminar la llamada, oprima 3.
travel-menu = Para reservas y beneficios de viaje, oprima 1. Para asistencia en carretera, oprima 2. Para reponer una tarjeta mientras está en el extranjero, oprima 3.
business-closed = Nuestro equipo de tarjetas de empresa atiende de lunes a viernes de 8 de la mañana a 8 de la noche, y los sábados de 9 de la mañana a 5 de la tarde, hora del Este. Para reportar una tarjeta de empresa perdida o robada, lo que atendemos a toda hora, oprima 1. Para que el equipo le devuelva la llamada, oprima 2. Para terminar la llamada, oprima 3.
anything-else = Para hablar con un especialista sobre esto, oprima 1. Para el menú principal, oprima 2. Si eso es todo, oprima 3.
kw-specialist = especialista, hablar con un especialista, sí
kw-main-menu = menú principal, menú, empezar de nuevo
kw-done = eso es todo, nada más, no gracias, adiós, terminar
kw-callback = devolver la llamada, que me llamen, llámenme, llamada
kw-now = ahora, equipo general, hablar ahora
callback-booked = Le devolveremos la llamada al número terminado en { $caller_last4 } en cuanto haya un especialista disponible.

## Transferencias

transfer-fraud = Le comunico ahora con nuestro equipo de fraude.
transfer-billing = Le comunico con un especialista en facturación.
transfer-account = Le comunico con un especialista en cuentas.
transfer-rewards = Le comunico con un especialista en recompensas.
transfer-travel = Le comunico con nuestro equipo de servicios de viaje.
transfer-roadside = Le comunico ahora con asistencia en carretera.
transfer-business = Le comunico con nuestro equipo de tarjetas de empresa.
transfer-general = Le comunico con un representante.
transfer-premium = Como cliente distinguido, le comunicamos con su equipo de atención prioritaria.
transfer-agent = Por favor, espere mientras le comunico con un representante.
goodbye = Gracias por llamar a Example Card Co. Adiós.

## La llamada de fraude "¿fue usted?": una llamada saliente cuando se retiene un pago (producto §6).
## $last4 deletreado; $amount, $date y $time en palabras (mensajes `money`, `date` y `time`).

challenge-intro = Hola, le llama el equipo de protección contra fraude de Example Card Co. por su tarjeta terminada en { $last4 }.
challenge-payment = Retuvimos un pago de { $amount } en { $merchant } el { $date }, a las { $time }.
challenge-question = Si usted hizo este pago, oprima 1 o diga sí. Si no lo hizo, oprima 2 o diga no.
kw-yes = sí, si, fui yo, lo hice yo, yo lo hice, correcto, claro
kw-no = no, no fui yo, yo no fui, no lo hice, yo no lo hice, fraude
challenge-genuine = Gracias. El pago está aprobado: ya puede volver a hacerlo. Adiós.
challenge-fraud = Gracias por avisarnos. Hemos bloqueado su tarjeta, abierto un caso de fraude y pedido una tarjeta de reposición a su dirección registrada. No pagará este cargo: hemos presentado una disputa por él. Le enviaremos los detalles por mensaje de texto y correo electrónico. Adiós.
challenge-no-answer = No recibimos su respuesta. Un especialista en fraude revisará este pago; también puede responder en la aplicación o contestando a nuestro mensaje de texto. Adiós.
challenge-closed = Este pago ya fue respondido. Gracias, adiós.
challenge-failed = Disculpe, no pudimos registrar su respuesta. Un especialista en fraude revisará este pago y se comunicará con usted. Adiós.
time = { $hour }:{ $minute }
