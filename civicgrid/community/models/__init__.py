from .activities import Activity, ActivitySeries, OpeningHours, Room, SignUp, Venue
from .newsletter import Article, Newsletter
from .service import Appointment, HomeService, ServiceCentre, ServiceItem, ServiceSlot, StaffLeave, Window
from .volunteers import HoursEntry, SlotAssignment, Team, Volunteer, VolunteerSlot

__all__ = [
    "Activity",
    "ActivitySeries",
    "Appointment",
    "Article",
    "HomeService",
    "HoursEntry",
    "Newsletter",
    "OpeningHours",
    "Room",
    "ServiceCentre",
    "ServiceItem",
    "ServiceSlot",
    "SignUp",
    "SlotAssignment",
    "StaffLeave",
    "Team",
    "Venue",
    "Volunteer",
    "VolunteerSlot",
    "Window",
]
