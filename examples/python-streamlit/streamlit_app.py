"""Sales dashboard: daily revenue by region from a CSV export."""

import os

import pandas as pd
import streamlit as st

DATA_URL = os.getenv("SALES_CSV_URL", "data/sales.csv")
TITLE = os.getenv("DASHBOARD_TITLE", "Sales")


@st.cache_data(ttl=600)
def load(url: str) -> pd.DataFrame:
    frame = pd.read_csv(url, parse_dates=["date"])
    return frame.sort_values("date")


st.set_page_config(page_title=TITLE, layout="wide")
st.title(f"{TITLE} dashboard")

sales = load(DATA_URL)
regions = st.multiselect("Regions", sorted(sales["region"].unique()), default=sorted(sales["region"].unique()))
shown = sales[sales["region"].isin(regions)]

left, right = st.columns(2)
left.metric("Revenue", f"{shown['revenue'].sum():,.0f}")
right.metric("Orders", f"{shown['orders'].sum():,}")

st.line_chart(shown.pivot_table(index="date", columns="region", values="revenue", aggfunc="sum"))
st.dataframe(shown, hide_index=True)
