-- Headerless and generic over its reply.
return {KEYS[1], ARGV[1]}
