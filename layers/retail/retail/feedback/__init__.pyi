from .nps import AnswerSurvey, NpsReport, ShowNps, SurveyAnswer, answer_survey, nps_report
from .tickets import (
    CreateTicket,
    TicketQueue,
    Tickets,
    TicketView,
    UpdateTicket,
    create_ticket,
    ticket_queue,
    update_ticket,
)

__all__ = [
    "AnswerSurvey",
    "CreateTicket",
    "NpsReport",
    "ShowNps",
    "SurveyAnswer",
    "TicketQueue",
    "TicketView",
    "Tickets",
    "UpdateTicket",
    "answer_survey",
    "create_ticket",
    "nps_report",
    "ticket_queue",
    "update_ticket",
]
