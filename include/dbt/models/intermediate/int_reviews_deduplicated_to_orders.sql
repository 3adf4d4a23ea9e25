-- One review per order: the most recently answered one (an order can have several reviews).
with ranked as (
    select
        review_id,
        order_id,
        review_score,
        review_created_at,
        review_answered_at,
        row_number() over (
            partition by order_id
            order by review_answered_at desc nulls last, review_created_at desc nulls last, review_id asc
        ) as recency_rank
    from {{ ref('stg_olist__order_reviews') }}
)

select
    order_id,
    review_id,
    review_score,
    review_created_at,
    review_answered_at
from ranked
where recency_rank = 1
