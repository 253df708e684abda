--- bad bytes: ÿş
return 1
