"""Projects: the example business resource a team copies to add its own."""
