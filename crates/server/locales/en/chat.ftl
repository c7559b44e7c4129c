# Live chat: the cardholder's widget and the agent's chat pane.

chat-title = Chat with us
chat-agent-title = Chat with a cardholder
chat-your-name = Your name
chat-first-message = How can we help?
chat-start = Start chat
chat-message = Write a message
chat-send = Send
chat-attach = Attach a document
chat-typing = Typing…
chat-reconnecting = Connection lost; reconnecting…
chat-connected = Connected
chat-waiting = An agent will be with you shortly.
chat-offline = No agent can answer right now: we have opened a case and will reply as soon as we can.
chat-read = Read
chat-delivered = Delivered
chat-you = You
chat-agent = Agent
chat-customer = Cardholder
chat-system = Helpline
chat-back-to-console = Back to my contacts
chat-needs-script = The chat needs JavaScript.
chat-open = Open chat
