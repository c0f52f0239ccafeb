"""The learnability frontier: the largest size learned at each budget, fitted against the budget.

:mod:`~symhard.frontier.search` (bisection on the size), :mod:`~symhard.frontier.stats`
(bootstrap over seeds, the slope fit) and :mod:`~symhard.frontier.predict` (the slope the CSQ
view predicts) are pure; :mod:`~symhard.frontier.runner` evaluates the points through the
experiment store and executors.
"""
