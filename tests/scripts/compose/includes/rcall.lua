local rcall = redis.call
