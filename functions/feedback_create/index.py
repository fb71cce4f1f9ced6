from retail.core import Caller, cloud_function
from retail.feedback import CreateTicket, TicketView, create_ticket


@cloud_function(CreateTicket, response=TicketView)
def main_handler(cmd: CreateTicket, caller: Caller) -> TicketView:
    return create_ticket(cmd, openid=caller.require_openid())
