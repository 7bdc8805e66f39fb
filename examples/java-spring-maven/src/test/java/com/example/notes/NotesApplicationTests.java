package com.example.notes;

import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;

@SpringBootTest(properties = {
    "spring.datasource.url=jdbc:h2:mem:notes",
    "spring.datasource.password="
})
class NotesApplicationTests {

    @Test
    void contextLoads() {
    }
}
