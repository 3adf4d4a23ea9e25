select
    cast(review_id as varchar(32)) as review_id,
    cast(order_id as varchar(32)) as order_id,
    cast(review_score as integer) as review_score,
    nullif(trim(review_comment_title), '') as review_comment_title,
    nullif(trim(review_comment_message), '') as review_comment_message,
    cast(review_creation_date as timestamp) as review_created_at,
    cast(review_answer_timestamp as timestamp) as review_answered_at
from {{ source('olist', 'order_reviews') }}
