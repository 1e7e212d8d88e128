"""The engine: adjudicate a claim against a beneficiary's history, and a batch in contract order."""
