"""Static files of the built-in web front end (served by ``api.web.router``)."""
