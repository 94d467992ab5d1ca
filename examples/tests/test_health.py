"""Health checks for shopfront. Runs with `python3 -m unittest discover -s tests` or pytest."""

import json
import pathlib
import sys
import threading
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "app"))

import server  # noqa: E402


class HealthTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = server.make_server(0)
        cls.base = "http://127.0.0.1:%d" % cls.server.server_address[1]
        threading.Thread(target=cls.server.serve_forever, daemon=True).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.shutdown()
        cls.server.server_close()

    def get(self, path):
        try:
            with urllib.request.urlopen(self.base + path, timeout=5) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def test_health_reports_ok_and_version(self):
        self.assertEqual(self.get("/healthz"), (200, {"status": "ok", "version": "1.2.0"}))

    def test_root_names_the_service(self):
        status, body = self.get("/")
        self.assertEqual(status, 200)
        self.assertEqual(body["service"], "shopfront")

    def test_unknown_path_is_404(self):
        self.assertEqual(self.get("/nope")[0], 404)


if __name__ == "__main__":
    unittest.main()
