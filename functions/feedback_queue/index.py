from retail.core import Caller, cloud_function
from retail.feedback import TicketQueue, Tickets, ticket_queue


@cloud_function(TicketQueue, response=Tickets, auth="operator")
def main_handler(cmd: TicketQueue, caller: Caller) -> Tickets:
    caller.require_operator("admin", "service")
    return ticket_queue(cmd)
