"""Role-based access control: permissions, system and custom roles."""
