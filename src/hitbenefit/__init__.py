"""hitbenefit: the Medicare Part B Home Infusion Therapy services benefit as a cited rules engine.

Layers, inner to outer: ``parameters`` (dated values with references) -> ``rules`` (small cited
checks) -> ``engine`` (adjudicate one claim against a beneficiary's history) -> adapters
(``claims`` JSON intake, ``rates`` files, ``cli``). Inner layers never import outer ones.
"""

__version__ = "0.1.0"
