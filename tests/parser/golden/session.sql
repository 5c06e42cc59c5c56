-- USE, PRINT, PURGE.
USE localhost:50051;
use "shift.example.com:443";
USE 10.0.0.7:8080;
USE 'my-host';
PRINT Q1;
print *;
PURGE;
