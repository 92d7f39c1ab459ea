REFRESH MATERIALIZED VIEW main.gold.orders_daily
