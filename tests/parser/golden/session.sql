-- USE, PRINT, PURGE.
USE localhost:50051;
use "shift.example.com:443";
USE 10.0.0.7:8080;
USE 'my-host:8080';
USE "[::1]:50051";
PRINT Q1;
print *;
PURGE;
