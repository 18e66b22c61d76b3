"""Hand-written building blocks for the Signaal seed complaint data.

Everything in this package was written for the Signaal project; see ../README.md.
"""
