class ArticlesController < ApplicationController
  def index
    @articles = Article.order(created_at: :desc).limit(20)
  end

  def show
    @article = Article.find(params[:id])
  end

  def create
    article = Article.create!(article_params)
    PublishArticleJob.perform_later(article.id)
    redirect_to article
  end

  private

  def article_params
    params.require(:article).permit(:title, :body)
  end
end
