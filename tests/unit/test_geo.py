from __future__ import annotations

from retail.stores.geo import bounding_box, haversine_m


def test_haversine_matches_a_known_distance():
    # Nanping Street to Chenggong University Town; an equirectangular estimate gives 25.31 km
    assert 25_250 < haversine_m(25.0389, 102.7123, 24.8413, 102.8369) < 25_370
    assert haversine_m(25.0, 102.0, 25.0, 102.0) == 0


def test_bounding_box_contains_every_point_of_the_radius():
    lat, lon, radius = 25.04, 102.71, 5_000
    min_lat, max_lat, min_lon, max_lon = bounding_box(lat, lon, radius)
    for dlat, dlon in ((min_lat, lon), (max_lat, lon), (lat, min_lon), (lat, max_lon)):
        assert abs(haversine_m(lat, lon, dlat, dlon) - radius) < 5
