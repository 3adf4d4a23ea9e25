-- Grain: one row per (review_id, order_id). review_id alone is not unique in the source (one
-- review can cover several orders of the same purchase), and an order can have several reviews;
-- is_latest_for_order marks the one review per order that fct_orders and the gold marts use.
select
    cast(reviews.review_id as varchar(32)) as review_id,
    cast(reviews.order_id as varchar(32)) as order_id,
    cast(reviews.review_score as integer) as review_score,
    cast(reviews.review_comment_title as varchar(65535)) as review_comment_title,
    cast(reviews.review_comment_message as varchar(65535)) as review_comment_message,
    reviews.review_comment_message is not null as has_comment,
    cast(reviews.review_created_at as timestamp) as review_created_at,
    cast(reviews.review_answered_at as timestamp) as review_answered_at,
    latest.review_id is not null as is_latest_for_order
from {{ ref('stg_olist__order_reviews') }} as reviews
left join {{ ref('int_reviews_deduplicated_to_orders') }} as latest
    on reviews.order_id = latest.order_id
        and reviews.review_id = latest.review_id
