# Loaded by each student's server (JUPYTER_CONFIG_PATH, set by tljh-lite only when the LMS may
# show the hub inside its pages): her server's cookies may then be Partitioned. The code is
# tljh_lite/auth/lti/partitioned.py, loaded by its path: her environment does not have tljh_lite.
import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location("tljh_lite_partitioned", Path(__file__).parent.parent / "partitioned.py")
_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_module)
_module.allow_partitioned_cookies()
