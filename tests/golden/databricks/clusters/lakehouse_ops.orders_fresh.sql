SELECT max(ingested_at) > current_timestamp() - INTERVAL 2 HOURS FROM main.bronze.orders
