"""The fleet's one reader of natural language: customer messages and CS replies.

Learned models (scikit-learn, trained from the labelled corpora in `data/`) read what has
no shape: the problem, the wish, what a CS agent is doing. Rules read what has a shape:
order ids, amounts, shares, dates, durations, and the scope of an offer's words.
"""
