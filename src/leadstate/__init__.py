"""leadstate: an event-sourced lead state service for outbound dialing."""

__version__ = "0.1.0"
