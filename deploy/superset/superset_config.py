# Superset settings for the iot-gateway stack (loaded through SUPERSET_CONFIG_PATH).
import os

# Required: signs sessions and encrypts the stored database passwords.
SECRET_KEY = os.environ["SUPERSET_SECRET_KEY"]

# Metadata in SQLite on the superset_home volume (enough for one dashboard).
SQLALCHEMY_DATABASE_URI = "sqlite:////app/superset_home/superset.db"

# Base-map tiles for deck.gl charts; without a key the points are drawn on a blank map.
MAPBOX_API_KEY = os.environ.get("MAPBOX_API_KEY", "")
