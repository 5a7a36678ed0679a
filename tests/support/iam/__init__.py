"""IAM for the rehearsal: AWS's policy evaluation (``policy``) and what each AWS call the project makes
asks IAM for (``operations``)."""
