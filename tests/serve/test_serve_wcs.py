"""WCS 1.0.0 from a running server, read by owslib: capabilities, coverages, exception reports."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import numpy as np
import pytest
import requests
from owslib.util import ServiceException
from owslib.wcs import WebCoverageService

import podpac_exec as pe
from serve_support import pipelines
from podpac_exec.serve.grids import Grid

NODES = {p.name: p.node for p in pipelines()}
OGC = "{http://www.opengis.net/ogc}"


@pytest.fixture(scope="module")
def wcs(url):
    return WebCoverageService(f"{url}/wcs", version="1.0.0")


def test_capabilities_and_describe_coverage(wcs, url):
    assert list(wcs.contents) == ["wave", "styled", "masked"]
    assert [op.name for op in wcs.operations] == ["GetCapabilities", "DescribeCoverage", "GetCoverage"]
    coverage = wcs["wave"]
    assert coverage.title == "Wave field" and NODES["wave"].hash in coverage.abstract
    assert coverage.boundingBoxWGS84 == (-180.0, -90.0, 180.0, 90.0)
    assert [c.getcode() for c in coverage.supportedCRS] == ["EPSG:4326", "EPSG:3857"]
    assert coverage.supportedFormats == ["GeoTIFF", "NetCDF"]
    assert coverage.grid.highlimits == ["1439", "719"]  # the nominal 0.25 degree grid
    assert coverage.boundingboxes == [{"nativeSrs": "EPSG:4326", "bbox": (-180.0, -90.0, 180.0, 90.0)}]


def test_geotiff_coverage_is_evaluate_on_its_grid(wcs):
    from rasterio.io import MemoryFile

    data = wcs.getCoverage(identifier="wave", bbox=(-10.0, 20.0, 10.0, 40.0), crs="EPSG:4326", format="GeoTIFF",
                           width=40, height=20).read()
    with MemoryFile(data) as mem, mem.open() as ds:
        assert ds.crs.to_epsg() == 4326 and (ds.width, ds.height) == (40, 20)
        assert tuple(ds.bounds) == (-10.0, 20.0, 10.0, 40.0)
        band = ds.read(1)
    coords = pe.Coordinates([pe.clinspace(39.5, 20.5, 20, "lat"), pe.clinspace(-9.75, 9.75, 40, "lon")])
    np.testing.assert_allclose(band, pe.evaluate(NODES["wave"], coords, backend="local").values, rtol=0, atol=1e-12)
    exact = Grid("EPSG:4326", (-10.0, 20.0, 10.0, 40.0), 40, 20).coordinates()
    np.testing.assert_array_equal(band, pe.evaluate(NODES["wave"], exact, backend="local").values)


def test_netcdf_coverage_has_lat_lon_and_the_values(wcs):
    import xarray as xr

    data = wcs.getCoverage(identifier="masked", bbox=(0.0, -10.0, 20.0, 10.0), crs="EPSG:4326", format="NetCDF",
                           width=8, height=8).read()
    with xr.open_dataset(io.BytesIO(data), engine="h5netcdf") as ds:
        da = ds["masked"].load()
    assert da.dims == ("lat", "lon") and da.attrs["pipeline_hash"] == NODES["masked"].hash
    np.testing.assert_allclose(da.lat, np.linspace(8.75, -8.75, 8))
    np.testing.assert_allclose(da.lon, np.linspace(1.25, 18.75, 8))
    coords = pe.Coordinates([pe.clinspace(8.75, -8.75, 8, "lat"), pe.clinspace(1.25, 18.75, 8, "lon")])
    expected = pe.evaluate(NODES["masked"], coords, backend="local").values
    np.testing.assert_allclose(da.values, expected, rtol=0, atol=1e-12, equal_nan=True)
    assert np.isnan(da.values).any() and not np.isnan(da.values).all()


def test_mercator_coverage_and_resx(url):
    from rasterio.io import MemoryFile

    r = requests.get(f"{url}/wcs", params=dict(SERVICE="WCS", VERSION="1.0.0", REQUEST="GetCoverage", COVERAGE="wave",
                                               CRS="EPSG:3857", BBOX="0,0,1000000,500000", RESX="100000",
                                               RESY="100000", FORMAT="GeoTIFF"))
    assert r.status_code == 200
    with MemoryFile(r.content) as mem, mem.open() as ds:
        assert ds.crs.to_epsg() == 3857 and (ds.width, ds.height) == (10, 5)
        assert tuple(ds.bounds) == (0.0, 0.0, 1000000.0, 500000.0)
        band = ds.read(1)
    grid = Grid("EPSG:3857", (0.0, 0.0, 1000000.0, 500000.0), 10, 5)
    np.testing.assert_array_equal(band, pe.evaluate(NODES["wave"], grid.coordinates(), backend="local").values)


GETCOVERAGE = dict(SERVICE="WCS", VERSION="1.0.0", REQUEST="GetCoverage", COVERAGE="wave", CRS="EPSG:4326",
                   BBOX="-10,-10,10,10", WIDTH="8", HEIGHT="8", FORMAT="GeoTIFF")


@pytest.mark.parametrize(
    "change, status, code, locator, message",
    [
        ({"COVERAGE": "nope"}, 404, "CoverageNotDefined", "COVERAGE", "unknown COVERAGE 'nope'"),
        ({"COVERAGE": ""}, 400, "MissingParameterValue", "COVERAGE", "COVERAGE is required"),
        ({"CRS": "EPSG:27700"}, 400, "InvalidParameterValue", "CRS", "unsupported CRS"),
        ({"RESPONSE_CRS": "EPSG:3857"}, 400, "InvalidParameterValue", "RESPONSE_CRS", "must equal CRS"),
        ({"BBOX": "0,0,1"}, 400, None, "BBOX", "BBOX must be minx,miny,maxx,maxy"),
        ({"WIDTH": "99999"}, 400, None, "WIDTH", "WIDTH must be an integer in 1..2048"),
        ({"WIDTH": None, "HEIGHT": None}, 400, "MissingParameterValue", "WIDTH", "give WIDTH and HEIGHT"),
        ({"FORMAT": "image/png"}, 400, "InvalidFormat", "FORMAT", "FORMAT 'image/png' is not offered"),
        ({"VERSION": "2.0.1"}, 400, "InvalidParameterValue", "VERSION", "VERSION must be 1.0.0"),
        ({"REQUEST": "GetSomething"}, 400, "InvalidParameterValue", "REQUEST", "not supported"),
    ],
)
def test_bad_getcoverage_gets_an_exception_report(url, change, status, code, locator, message):
    params = {k: v for k, v in {**GETCOVERAGE, **change}.items() if v is not None}
    r = requests.get(f"{url}/wcs", params=params)
    assert r.status_code == status and r.headers["content-type"] == "application/vnd.ogc.se_xml"
    root = ET.fromstring(r.content)
    assert root.tag == f"{OGC}ServiceExceptionReport" and root.get("version") == "1.2.0"
    exc = root.find(f"{OGC}ServiceException")
    assert exc.get("code") == code and exc.get("locator") == locator and message in exc.text
    assert requests.get(f"{url}/wcs", params=GETCOVERAGE).status_code == 200


def test_owslib_raises_the_servers_message(wcs):
    with pytest.raises(ServiceException, match="not offered"):
        wcs.getCoverage(identifier="wave", bbox=(0, 0, 1, 1), crs="EPSG:4326", format="JPEG2000", width=4, height=4)
