"""The webhook edge: raw body -> verify -> record -> answer. Processing happens in a job."""
