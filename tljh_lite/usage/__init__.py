"""The usage record: a sample of the students' servers every minute, kept in
SQLite on this machine (never sent anywhere), and what it tells a professor:
how many students work at once, what they use, what VM to rent (docs/status.md).
"""
