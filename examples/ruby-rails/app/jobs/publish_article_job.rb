class PublishArticleJob < ApplicationJob
  queue_as :default

  def perform(article_id)
    Article.find(article_id).update!(published_at: Time.current)
  end
end
