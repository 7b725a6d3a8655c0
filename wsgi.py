from service import create_served_app

app = create_served_app()
