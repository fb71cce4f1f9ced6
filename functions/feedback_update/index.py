from retail.core import Caller, cloud_function
from retail.feedback import TicketView, UpdateTicket, update_ticket


@cloud_function(UpdateTicket, response=TicketView, auth="operator")
def main_handler(cmd: UpdateTicket, caller: Caller) -> TicketView:
    return update_ticket(cmd, operator=caller.require_operator("admin", "service"))
