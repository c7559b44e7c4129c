## Example Card Co. — English prompts for the demo IVR flow (flow.toml).
## Variables the interpreter passes: $last4 and $reference spelled out character by character;
## amounts and dates already in words (through the `money` and `date` messages below).
## Messages named kw-… are comma-separated words and phrases callers may say.

## Retries and people

no-input = Sorry, I didn't hear anything.
invalid = Sorry, that's not one of the choices.
not-understood = Sorry, I didn't quite catch that.
kw-operator = representative, agent, operator, person, real person, human, live person

## Welcome and language

welcome = Thank you for calling Example Card Co.
language-offer = For English, press { $digit }, or just stay on the line.
kw-language = English, inglés

## Reasons

reason-menu = Please tell me in a few words why you're calling, or choose from these options.
    For a lost or stolen card, press 1.
    To report fraud or a charge you don't recognize, press 2.
    For billing questions and disputes, press 3.
    To activate a card, press 4.
    For your account, balance and payments, press 5.
    For rewards, press 6.
    For travel services and roadside assistance, press 7.
    For business cards, press 8.
    For anything else, press 9.
    To speak with a representative at any time, press 0.
kw-lost-stolen = lost, stolen, lost card, stolen card, lost my card, my card was stolen, missing card, can't find my card, replacement card
kw-fraud = fraud, fraudulent, suspicious, unauthorized, scam, identity theft, didn't make this purchase, don't recognize a charge, a charge I don't recognize
kw-billing = bill, billing, statement, charge, dispute, a charge on my statement, overcharged, refund
kw-activate = activate, activation, activate my card, new card, set my pin
kw-account = account, balance, address, personal details, phone number, email, payment method, autopay, benefits
kw-rewards = rewards, points, membership rewards, rewards balance, points balance, redeem, miles
kw-travel = travel, trip, flight, booking, travel services, travel benefits, traveling
kw-roadside = roadside, roadside assistance, tow, tow truck, flat tire, car broke down, jump start
kw-business = business, business card, corporate card, company card, employee card, expenses
kw-general = something else, other, general question, question

## Identity

verify-card-number = Please enter your card number, followed by the pound key.
verify-security-code = Now enter the security code printed on your card, followed by the pound key.
verify-date-of-birth = Please enter your date of birth as eight digits: two for the month, two for the day and four for the year.
verify-postcode = Please enter or say the ZIP or postal code of your billing address, followed by the pound key.
verify-phone-on-file = Please enter the phone number we have on file for you, followed by the pound key.
verify-tax-id-last4 = Please enter the last four digits of your business tax ID.
verify-bad-format = Sorry, that doesn't look right.
verify-mismatch = Sorry, that doesn't match our records. Let's try again.
verify-done = Thank you, you're verified.
verify-failed = Sorry, I couldn't verify your identity.
verify-locked = For your security, phone verification is locked on this account.
not-verified = To do that, I first need to verify your identity.
service-failed = Sorry, I couldn't complete that right now.

## Lost or stolen card

lost-loss = Was your card lost or stolen? If it was lost, press 1. If it was stolen, press 2.
kw-lost = lost, misplaced, can't find it
kw-stolen = stolen, robbed, theft, someone took it
lost-shipping = How should we send your replacement card?
    For standard delivery in three to five business days, press 1.
    For expedited delivery in one to two business days, press 2.
    If you are abroad, for global delivery within 24 to 72 hours to a hotel, embassy or other address, press 3.
kw-standard = standard, regular, normal
kw-expedited = expedited, express, fast, faster, rush
kw-global = global, abroad, overseas, international, outside the country
lost-destination = Where should we deliver it? For a hotel, press 1. For an embassy or consulate, press 2. For another address, press 3.
kw-hotel = hotel
kw-embassy = embassy, consulate
kw-other = other, another address, other address, home, office
lost-address = After the tone, please say the full delivery address, including the city and country.
lost-reported = Your card ending in { $last4 } is now blocked and recorded as { $loss ->
        [stolen] stolen
       *[lost] lost
    }. Your reference number is { $reference }. I'll repeat that: { $reference }. Your new card { $shipping ->
        [global] will be delivered to the address you gave
       *[other] should arrive
    } between { $earliest } and { $latest }.

## Activation

activate-pin = Please choose a four-digit PIN for your card and enter it, then enter it again to confirm.
activate-pin-mismatch = Those two PINs didn't match.
activate-done = Your card ending in { $last4 } is active and your new PIN is set.

## Balance and rewards

balance-info = { $credit ->
        [yes] Your card ending in { $last4 } has a credit balance of { $balance }.
       *[no] The balance on your card ending in { $last4 } is { $balance }.
    } { $paid ->
        [yes] Your last payment, { $payment }, was received on { $payment_date }.
       *[no] We have not received a payment yet.
    }
rewards-info = You have { $points ->
        [one] one rewards point
       *[other] { $points } rewards points
    }.
money = { $currency ->
        [USD] { $whole ->
            [one] one dollar
           *[other] { $whole } dollars
        }
       *[other] { $whole } { $currency }
    }{ $cents ->
        [0] {""}
       *[other] {" "}and { $cents } { $cents ->
            [one] cent
           *[other] cents
        }
    }
date = { $weekday ->
        [1] Monday
        [2] Tuesday
        [3] Wednesday
        [4] Thursday
        [5] Friday
        [6] Saturday
       *[7] Sunday
    }, { $month ->
        [1] January
        [2] February
        [3] March
        [4] April
        [5] May
        [6] June
        [7] July
        [8] August
        [9] September
        [10] October
        [11] November
       *[12] December
    } { $day }

## Menus after a choice

billing-menu = For your balance and last payment, press 1. To dispute a charge or ask about one, press 2.
kw-balance = balance, last payment, payment, how much I owe
kw-dispute = dispute, charge, wrong charge, a charge I don't recognize
account-menu = For your balance and last payment, press 1. To update your personal details or payment methods, or for your card benefits, press 2.
kw-details = details, personal details, address, phone number, payment method, benefits
rewards-menu = To speak with a rewards specialist, press 1. For the main menu, press 2. If that's all, press 3.
rewards-closed = Our rewards specialists are available every day from 8 AM to midnight, Eastern time. To have a specialist call you back, press 1. To speak with our general team now, press 2. To end the call, press 3.
travel-menu = For travel bookings and benefits, press 1. For roadside assistance, press 2. To replace a card while you're abroad, press 3.
business-closed = Our business card team is available Monday to Friday from 8 AM to 8 PM, and Saturday from 9 AM to 5 PM, Eastern time. To report a lost or stolen business card, which we handle around the clock, press 1. To have the team call you back, press 2. To end the call, press 3.
anything-else = To speak with a specialist about this, press 1. For the main menu, press 2. If that's all, press 3.
kw-specialist = specialist, speak with a specialist, talk to a specialist, yes
kw-main-menu = main menu, menu, start over
kw-done = done, that's all, nothing else, no thanks, goodbye, end the call
kw-callback = call back, callback, call me back, call me
kw-now = now, general team, speak now
callback-booked = We'll call you back at the number ending in { $caller_last4 } as soon as a specialist is available.

## Hand-offs

transfer-fraud = I'm connecting you with our fraud team now.
transfer-billing = I'm connecting you with a billing specialist.
transfer-account = I'm connecting you with an account specialist.
transfer-rewards = I'm connecting you with a rewards specialist.
transfer-travel = I'm connecting you with our travel services team.
transfer-roadside = I'm connecting you with roadside assistance now.
transfer-business = I'm connecting you with our business card team.
transfer-general = I'm connecting you with a representative.
transfer-premium = As a valued card member, you're being connected to your priority service team.
transfer-agent = Please hold while I connect you with a representative.
goodbye = Thank you for calling Example Card Co. Goodbye.

## The fraud "was this you?" call: an outbound call when a payment is held (product §6).
## $last4 spelled out; $amount, $date and $time in words (the `money`, `date` and `time` messages).

challenge-intro = Hello, this is the fraud protection team at Example Card Co., calling about your card ending in { $last4 }.
challenge-payment = We held a payment of { $amount } at { $merchant } on { $date }, at { $time }.
challenge-question = If you made this payment, press 1 or say yes. If you did not, press 2 or say no.
kw-yes = yes, yeah, yep, it was me, that was me, i made it, i did, correct
kw-no = no, nope, it was not me, it wasn't me, not me, i did not, i didn't, fraud
challenge-genuine = Thank you. The payment is approved: you can make it again now. Goodbye.
challenge-fraud = Thank you for telling us. We have locked your card, opened a fraud case, and ordered a replacement card to your address on file. You will not pay for this charge: we have filed a dispute for it. We'll send you the details by text message and email. Goodbye.
challenge-no-answer = We did not get your answer. A fraud specialist will review this payment; you can also answer in the app or by replying to our text message. Goodbye.
challenge-closed = This payment has already been answered. Thank you, and goodbye.
challenge-failed = Sorry, we could not record your answer. A fraud specialist will review this payment and contact you. Goodbye.
time = { $hour12 }:{ $minute } { $pm ->
        [yes] PM
       *[no] AM
    }
