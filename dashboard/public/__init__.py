"""The public page «Việc làm thanh niên Cà Mau»: open job openings and online registration, no login."""
