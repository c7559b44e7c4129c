# Fraud monitoring: the analysts' queue.

nav-fraud = Fraud
fraud-queue-title = Fraud alerts
fraud-queue-intro = Challenges the cardholder has not answered in time and alerts waiting for an analyst, oldest first.
fraud-queue-empty = No alert is waiting.
fraud-decision = Decision
fraud-score = score
fraud-at = at
fraud-reasons = Why
fraud-history = This card's recent authorizations (time → score)
fraud-approve = approved
fraud-challenge = challenged
fraud-decline = declined
fraud-confirm = Confirm fraud
fraud-genuine = Mark genuine
fraud-contact = Contact the cardholder
fraud-decisions-title = Fraud decisions
