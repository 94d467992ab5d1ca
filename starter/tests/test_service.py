"""Unit tests for app/service.py. Run with: python3 -m unittest discover -s tests"""

import pathlib
import sys
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "app"))

import service  # noqa: E402


class ServiceTest(unittest.TestCase):
    def test_health_reports_the_version(self):
        self.assertEqual(service.health(), {"status": "ok", "version": service.VERSION})

    def test_greet_names_the_caller(self):
        self.assertEqual(service.greet(" ada "), {"message": "hello, ada"})

    def test_greet_refuses_an_empty_name(self):
        with self.assertRaises(ValueError):
            service.greet("  ")


if __name__ == "__main__":
    unittest.main()
