SELECT * FROM Models WHERE NumParams < 10M AND Input == 'Vision'
  ORDER BY UpstreamAccuracy DESC LIMIT 1;
