//! HTTP routes: health, create a link, follow a link.

use axum::{
    extract::{Path, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use redis::AsyncCommands;
use serde::{Deserialize, Serialize};

use crate::AppState;

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/links", post(create_link))
        .route("/:code", get(follow_link))
        .with_state(state)
}

async fn health(State(state): State<AppState>) -> StatusCode {
    match sqlx::query("SELECT 1").execute(&state.db).await {
        Ok(_) => StatusCode::OK,
        Err(_) => StatusCode::SERVICE_UNAVAILABLE,
    }
}

#[derive(Deserialize)]
struct NewLink {
    code: String,
    url: String,
}

#[derive(Serialize, sqlx::FromRow)]
struct Link {
    code: String,
    url: String,
}

async fn create_link(State(state): State<AppState>, Json(new): Json<NewLink>) -> Response {
    if new.code.is_empty() || !new.url.starts_with("http") {
        return (
            StatusCode::BAD_REQUEST,
            "code and an http(s) url are required",
        )
            .into_response();
    }
    let inserted = sqlx::query_as::<_, Link>(
        "INSERT INTO links (code, url) VALUES ($1, $2) ON CONFLICT (code) DO NOTHING RETURNING code, url",
    )
    .bind(&new.code)
    .bind(&new.url)
    .fetch_optional(&state.db)
    .await;
    match inserted {
        Ok(Some(link)) => (StatusCode::CREATED, Json(link)).into_response(),
        Ok(None) => (StatusCode::CONFLICT, "code already taken").into_response(),
        Err(err) => {
            tracing::error!(%err, "insert link");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

async fn follow_link(State(mut state): State<AppState>, Path(code): Path<String>) -> Response {
    let found = sqlx::query_as::<_, Link>("SELECT code, url FROM links WHERE code = $1")
        .bind(&code)
        .fetch_optional(&state.db)
        .await;
    match found {
        Ok(Some(link)) => {
            // A lost hit count is not worth failing the redirect for.
            let counted: Result<i64, _> = state.cache.incr(format!("hits:{code}"), 1).await;
            if let Err(err) = counted {
                tracing::warn!(%err, "count hit");
            }
            (StatusCode::FOUND, [(header::LOCATION, link.url)]).into_response()
        }
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(err) => {
            tracing::error!(%err, "load link");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
