<?php
// docs/examples/health.php — /health: 200 and "ok" once PHP runs behind nginx.
header('Content-Type: text/plain');
echo "ok\n";
